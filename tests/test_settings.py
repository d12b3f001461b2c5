"""newsletter.yaml: defaults, required keys, unknown keys, types and colours, all with file:line."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter.cli import cli
from newsletter.errors import SettingsError
from newsletter.settings import Settings, iter_documented, load_settings

GOOD = """\
name: Dispatch
sender:
  email: desk@dispatch.example
web_url: https://dispatch.example
postal_address: 1 Test Street
"""


def load(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "newsletter.yaml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path)


def problems(tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SettingsError) as e:
        load(tmp_path, text)
    return [str(p) for p in e.value.problems]


def test_minimal_settings_get_defaults(tmp_path: Path) -> None:
    s = load(tmp_path, GOOD)
    assert (s.name, s.sender.email, s.language, s.toc_title) == ("Dispatch", "desk@dispatch.example", "en", "In this issue")
    assert s.theme.colors.text == "#1F1D1A" and s.theme.fonts.size == 18
    assert s.warnings == []


@pytest.mark.parametrize("key", ["name", "sender.email", "web_url", "postal_address"])
def test_each_required_key(tmp_path: Path, key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    leaf = key.rsplit(".", 1)[-1]
    text = "\n".join(line for line in GOOD.splitlines() if not line.strip().startswith(leaf + ":")) + "\n"
    line = 2 if key == "sender.email" else 1  # a nested key points at its parent
    assert problems(tmp_path, text, monkeypatch) == [
        f"newsletter.yaml:{line}: required setting '{key}' is missing (add '{key}:' to newsletter.yaml)"
    ]


def test_empty_required_value_points_at_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert problems(tmp_path, GOOD.replace("name: Dispatch", "name: ''"), monkeypatch) == [
        "newsletter.yaml:1: required setting 'name' is missing (add 'name:' to newsletter.yaml)"
    ]


def test_unknown_keys_warn_with_did_you_mean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = load(tmp_path, GOOD + "tagine: x\ntheme:\n  colours: {}\nzzz: 1\n")
    assert s.warnings == [
        "newsletter.yaml:6: unknown setting 'tagine' (did you mean 'tagline'?)",
        "newsletter.yaml:8: unknown setting 'theme.colours' (did you mean 'theme.colors'?)",
        "newsletter.yaml:9: unknown setting 'zzz'",
    ]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("theme:\n  colors:\n    text: red\n",
         "newsletter.yaml:8: 'theme.colors.text' must be a hex colour like #1F1D1A, not 'red'"),
        ("theme:\n  colors:\n    link: '#12345'\n",
         "newsletter.yaml:8: 'theme.colors.link' must be a hex colour like #1F1D1A, not '#12345'"),
        ("reading_wpm: fast\n", "newsletter.yaml:6: 'reading_wpm' must be a whole number, not 'fast'"),
        ("reading_wpm: '200'\n",
         "newsletter.yaml:6: 'reading_wpm' must be a whole number, not '200' (write it without quotes: reading_wpm: 200)"),
        ("theme: 3\n", "newsletter.yaml:6: 'theme' must be a mapping of keys to values"),
        ("language: und\n", "newsletter.yaml:6: 'language' must be a language tag such as en or en-GB, not 'und'"),
        ("language: English\n",
         "newsletter.yaml:6: 'language' must be a language tag such as en or en-GB, not 'English'"),
        ("timezone: America/New_Yrok\n",
         "newsletter.yaml:6: unknown timezone 'America/New_Yrok' (did you mean 'America/New_York'?)"),
        ("esp: mailchimpp\n", "newsletter.yaml:6: unknown email service profile 'mailchimpp' (did you mean 'mailchimp'?)"),
        ("signup_url: example.com/join\n", "newsletter.yaml:6: 'signup_url' must be an http(s) URL, not 'example.com/join'"),
        ("smtp:\n  security: tls\n", "newsletter.yaml:7: 'smtp.security' must be none, starttls or ssl"),
        # As in an issue file: the feed (XML) can't carry a control character; found by the
        # settings fuzz test once the feed was checked for being well-formed.
        ("tagline: \"A\\x00B\"\n", "newsletter.yaml:6: 'tagline' contains the invisible control character U+0000"
         " (delete it: it often comes with text pasted from a PDF or a terminal)"),
        ("check:\n  targets: [\"gmail\\x1b\"]\n", "newsletter.yaml:7: 'check.targets' contains the invisible control"
         " character U+001B (delete it: it often comes with text pasted from a PDF or a terminal)"),
        # A font stack goes into stylesheets: a '}' there ended the rule (and broke the email's CSS).
        ("theme:\n  fonts:\n    sans: 'Arial; } body { color: red'\n",
         "newsletter.yaml:8: 'theme.fonts.sans' can't contain ';': it is a list of font names"
         " (e.g. Georgia, 'Times New Roman', serif)"),
        ("theme:\n  fonts:\n    serif: Georgia</style>\n",
         "newsletter.yaml:8: 'theme.fonts.serif' can't contain '<': it is a list of font names"
         " (e.g. Georgia, 'Times New Roman', serif)"),
        # Both reach the email's footer as links: only web and mail links, or the service's tag.
        ("unsubscribe_url: 'javascript:alert(1)'\n", "newsletter.yaml:6: 'unsubscribe_url' must be an http(s) or "
         "mailto: URL, or an email-service tag, not 'javascript:alert(1)'"),
        ("preferences_url: 'data:text/html,hi'\n", "newsletter.yaml:6: 'preferences_url' must be an http(s) or "
         "mailto: URL, or an email-service tag, not 'data:text/html,hi'"),
        ("check:\n  targets: gmail\n", "newsletter.yaml:7: 'check.targets' must be a list of text, not 'gmail'"),
        # The From header can't carry it: an encoded-word in an address is invalid.
        ("unsubscribe_email: zoë@example.com\n", "newsletter.yaml:6: 'unsubscribe_email' must be written in ASCII, "
         "not 'zoë@example.com' (write an accented domain in its xn-- form (what your registrar shows); a mailbox "
         "name with accents needs SMTPUTF8, which most email services refuse)"),
        # One line of List-Unsubscribe can't hold it, and a URL can't be folded.
        (f"unsubscribe_url: https://x.example/{'u' * 900}\n", "newsletter.yaml:6: 'unsubscribe_url' is 918 characters "
         "long: the List-Unsubscribe header can hold at most 900 (use your service's shorter link, or its unsubscribe "
         "tag)"),
        # Numbers out of range: "672 min read", invisible text, a port no server has.
        ("reading_wpm: 0\n", "newsletter.yaml:6: 'reading_wpm' must be from 1 to 2000, not 0"),
        ("theme:\n  fonts:\n    size: 0\n", "newsletter.yaml:8: 'theme.fonts.size' must be from 8 to 72, not 0"),
        ("smtp:\n  port: 999999\n", "newsletter.yaml:7: 'smtp.port' must be from 1 to 65535, not 999999"),
    ],
)
def test_bad_values(tmp_path: Path, extra: str, expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert problems(tmp_path, GOOD + extra, monkeypatch) == [expected]


@pytest.mark.parametrize("value", ["https://x.example/u", "http://x.example/u", "mailto:leave@x.example",
                                   "'*|UNSUB|*'", "'{{ unsubscribe_url }}'", "'<%asm_group_unsubscribe_raw_url%>'"])
def test_unsubscribe_and_preferences_urls_that_are_allowed(tmp_path: Path, value: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = load(tmp_path, GOOD + f"unsubscribe_url: {value}\npreferences_url: {value}\n")
    assert s.unsubscribe_url == s.preferences_url == value.strip("'")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: [x\n", "newsletter.yaml:2: invalid YAML: expected ',' or ']', but got '<stream end>'"),
        # Uncommenting a key of init's file without the keys it belongs under.
        (GOOD + "# theme:\n#   colors:\n      accent: '#123456'\n",
         "newsletter.yaml:8: invalid YAML: this line is indented deeper than the key above it (line it up with that"
         " key; in newsletter.yaml, uncomment the keys it belongs under too)"),
        # An unclosed quote: PyYAML gave up at the next quote mark, three lines on.
        (GOOD.replace("web_url: https://dispatch.example", 'web_url: "https://dispatch.example') + 'tagline: "x"\n',
         "newsletter.yaml:4: invalid YAML: a quoted value is not closed on its line"
         " (end it with the quote mark it starts with)"),
        ("- a\n- b\n", "newsletter.yaml:1: settings must be a mapping of keys to values"),
        # A tagged value PyYAML can't convert raised ValueError (a traceback), not a YAML error.
        (GOOD + "language: !!int \"en\"\n", "newsletter.yaml:6: invalid YAML: the value 'en' can't be read as !!int"),
        (GOOD + "tagline: !!timestamp x\n", "newsletter.yaml:6: invalid YAML: the value 'x' can't be read as !!timestamp"),
    ],
)
def test_unreadable_settings(tmp_path: Path, text: str, expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert problems(tmp_path, text, monkeypatch) == [expected]


@pytest.mark.parametrize("text", [
    GOOD + "tagline: " + "[" * 5000 + "]" * 5000 + "\n",  # PyYAML's composer recursed past the limit
    GOOD + "a0: &a0 x\n" + "".join(f"a{i}: &a{i}\n  - *a{i - 1}\n" for i in range(1, 1200)) + "tagline: *a1199\n",
])
def test_settings_nested_past_pythons_recursion_are_one_error(tmp_path: Path, text: str,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # Both ended `newsletter build` in a RecursionError traceback. Brackets are reported at their
    # line (6, the tagline); aliases, nested only when read, at the file's first line.
    line = 6 if "[" in text else 1
    assert problems(tmp_path, text, monkeypatch) == [f"newsletter.yaml:{line}: settings are nested too deeply"]


def test_too_deep_settings_far_down_the_file_are_reported_at_their_line(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    text = GOOD + "".join(f"# comment {i}\n" for i in range(120)) + "tagline: " + "{a: " * 3000 + "}" * 3000 + "\n"
    line = text.count("\n")  # the last line
    assert problems(tmp_path, text, monkeypatch) == [f"newsletter.yaml:{line}: settings are nested too deeply"]


def test_not_utf8(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "newsletter.yaml").write_bytes(GOOD.encode() + b"tagline: caf\xe9\n")
    with pytest.raises(SettingsError) as e:
        load_settings(tmp_path / "newsletter.yaml")
    assert str(e.value.problems[0]) == "newsletter.yaml:6: file is not UTF-8 text (save it as UTF-8)"


def test_every_problem_is_reported_once_through_the_cli(workspace: Path) -> None:
    (workspace / "newsletter.yaml").write_text(
        "name: X\nsender:\n  name: Y\nweb_url: https://x.example\nlangauge: en\nreading_wpm: fast\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == (
        "Warning: newsletter.yaml:5: unknown setting 'langauge' (did you mean 'language'?)\n"
        "Error: newsletter.yaml:1: required setting 'postal_address' is missing (add 'postal_address:' to newsletter.yaml)\n"
        "Error: newsletter.yaml:2: required setting 'sender.email' is missing (add 'sender.email:' to newsletter.yaml)\n"
        "Error: newsletter.yaml:6: 'reading_wpm' must be a whole number, not 'fast'\n"
    )


def test_unknown_key_warning_does_not_stop_the_build(workspace: Path) -> None:
    with open(workspace / "newsletter.yaml", "a", encoding="utf-8") as f:
        f.write("toc_titel: Inside\n")
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code == 0
    assert "Warning: newsletter.yaml:12: unknown setting 'toc_titel' (did you mean 'toc_title'?)\n" in result.stderr


def test_every_setting_is_documented() -> None:
    for key, _default, doc in iter_documented():
        assert doc.strip(), f"setting '{key}' has no documentation"


@pytest.mark.parametrize("extra", ["language: zh-Hant-TW\n", "language: en-GB\n", "timezone: Europe/Lisbon\n",
                                   "timezone: UTC\n"])
def test_good_values(tmp_path: Path, extra: str) -> None:
    assert load(tmp_path, GOOD + extra).warnings == []


def test_sender_addresses_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = GOOD.replace("  email: desk@dispatch.example", "  email: desk\n  reply_to: Desk <d@x.example>")
    assert problems(tmp_path, text, monkeypatch) == [
        "newsletter.yaml:3: 'sender.email' must be an email address like desk@example.com, not 'desk'",
        "newsletter.yaml:4: 'sender.reply_to' must be an email address like desk@example.com,"
        " not 'Desk <d@x.example>'",
    ]


def test_the_unsubscribe_address_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # It goes into the List-Unsubscribe header: a line break in it used to end the build in a traceback.
    text = GOOD + 'unsubscribe_email: "leave@dispatch.example\\nBcc: all@dispatch.example"\n'
    line = len(GOOD.split("\n"))
    assert problems(tmp_path, text, monkeypatch) == [
        f"newsletter.yaml:{line}: 'unsubscribe_email' must be an email address like desk@example.com,"
        " not 'leave@dispatch.example\\nBcc: all@dispatch.example'",
    ]
    assert load(tmp_path, GOOD + "unsubscribe_email: leave@dispatch.example\n").unsubscribe_email == "leave@dispatch.example"


def test_a_key_given_twice_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert problems(tmp_path, GOOD + "name: Other\n", monkeypatch) == [
        "newsletter.yaml:6: setting 'name' is given twice (the first is on line 1; keep one)"
    ]


# ---- libyaml and PyYAML read newsletter.yaml the same way -----------------------------------

from unittest import mock  # noqa: E402

from hypothesis import example, given, settings as hypothesis_settings, strategies as st  # noqa: E402

from newsletter import settings as settings_module, yamlsafe  # noqa: E402

_PIECES = ["name: ", "tagline: ", "sender:\n  email: ", "theme:\n  colors:\n    accent: ", "check:\n  targets: ",
           "utm: ", "<<: ", "&a ", "*a", "!!str ", "x", "é", "1", "#123456", " ", "  ", "\t", "\n", "\n  ", ": ",
           "- ", "[", "]", "{", "}", ",", "'", '"', "|", ">", "#", "~", "null", "true", "---", "\\", "\u2028",
           "?", "Who knows?", "? "]


def _outcome(path: Path) -> object:
    try:
        return load_settings(path)
    except SettingsError as e:
        return [str(p) for p in e.problems]


@pytest.mark.skipif(yamlsafe.FastLoader is None, reason="PyYAML was built without libyaml")
@hypothesis_settings(max_examples=300, deadline=None)
@example(GOOD + "tagline: {x: Who knows?}\n")  # libyaml reads the '?' inside brackets as text; PyYAML doesn't
@given(st.one_of(st.lists(st.sampled_from(_PIECES), max_size=24).map("".join),
                 st.lists(st.sampled_from(_PIECES), max_size=12).map(lambda p: GOOD + "".join(p))))
def test_libyaml_reads_settings_as_pyyaml_does(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "newsletter.yaml"
        path.write_text(text, encoding="utf-8")
        fast = _outcome(path)
        with mock.patch.object(settings_module, "LIBYAML", False):
            python = _outcome(path)
    assert fast == python


@pytest.mark.skipif(yamlsafe.FastLoader is None, reason="PyYAML was built without libyaml")
def test_ordinary_settings_are_read_by_libyaml_once(tmp_path: Path) -> None:
    with mock.patch.object(yamlsafe.SafeLoader, "__init__", side_effect=yamlsafe.SafeLoader.__init__,
                           autospec=True) as python_loader, \
         mock.patch.object(yamlsafe.CSafeLoader, "__init__", side_effect=yamlsafe.CSafeLoader.__init__,
                           autospec=True) as c_loader:
        assert load(tmp_path, GOOD + "tagline: Daily\ntheme:\n  colors:\n    accent: '#123456'\n").tagline == "Daily"
        assert (python_loader.call_count, c_loader.call_count) == (0, 1)
        # what libyaml might read differently (here an anchor and an alias) is read by PyYAML alone
        load(tmp_path, GOOD + "tagline: &t Daily\ntoc_title: *t\n")
        assert (python_loader.call_count, c_loader.call_count) == (1, 1)


def test_merge_keys_keep_the_lines_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Building the data flattens '<<' into the mapping's node: the lines come from it before that.
    text = GOOD.replace("name: Dispatch\n", "") + "base: &b {name: Dispatch, tagline: Old}\n<<: *b\ntagline: New\n"
    monkeypatch.chdir(tmp_path)
    s = load(tmp_path, text)
    assert (s.name, s.tagline) == ("Dispatch", "New")
    assert s.warnings == ["newsletter.yaml:5: unknown setting 'base'"]  # and no "'tagline' is given twice"


@pytest.mark.parametrize("value", ["{name: Who Knows?, email: desk@dispatch.example}", "[a, b?]"])
def test_a_question_mark_inside_brackets_is_refused_as_pyyaml_refuses_it(tmp_path: Path, value: str,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # libyaml reads "Who Knows?" inside braces as text; PyYAML, whose messages we give, refuses it.
    found = problems(tmp_path, GOOD.replace("sender:\n  email: desk@dispatch.example\n", f"sender: {value}\n"),
                     monkeypatch)
    assert len(found) == 1 and found[0].startswith("newsletter.yaml:2: invalid YAML: expected ',' or ")


def test_urls_with_accents_are_written_as_every_client_reads_them(tmp_path: Path) -> None:
    """The HTML's serialiser percent-encodes an href; the text part and List-Unsubscribe header
    must say the same, and a header can't carry accents without becoming an encoded-word."""
    s = load(tmp_path, GOOD.replace("https://dispatch.example", "https://bücher.example/archiv") +
             "unsubscribe_url: https://dispatch.example/désabonner?liste=café\n"
             "signup_url: https://dispatch.example/sign up\n")
    assert s.web_url == "https://xn--bcher-kva.example/archiv"
    assert s.unsubscribe_url == "https://dispatch.example/d%C3%A9sabonner?liste=caf%C3%A9"
    assert s.signup_url == "https://dispatch.example/sign%20up"


@pytest.mark.parametrize(("written", "read"), [
    ("https://dispatch.example/prefs?e={{ email }}", "https://dispatch.example/prefs?e={{ email }}"),
    ("https://dispatch.example/p?id=*|UNIQID|*&n=é", "https://dispatch.example/p?id=*|UNIQID|*&n=%C3%A9"),
    ("https://straße.example/abo", "https://xn--strae-oqa.example/abo"),  # as markdown-it writes a link's host
    ("https://editor@bücher.example:8080/a b", "https://editor@xn--bcher-kva.example:8080/a%20b"),
])
def test_a_url_setting_keeps_its_tags_and_port_when_encoded(tmp_path: Path, written: str, read: str) -> None:
    s = load(tmp_path, GOOD + f"preferences_url: '{written}'\n")
    assert s.preferences_url == read
