"""CSS colour values as the contrast check reads them: hex (#rgb, #rgba, #rrggbb, #rrggbbaa),
rgb()/rgba() and the named colours, each as (red, green, blue, alpha) with channels 0-255 and
alpha 0-1. What can't be read (currentColor, var(), a gradient) is None: the check then keeps the
colour it inherited rather than guess."""

from __future__ import annotations

import re

RGBA = tuple[float, float, float, float]
RGB = tuple[float, float, float]

#: CSS Color Module Level 4's named colours (all 148; grey and gray spell the same ones).
NAMED: dict[str, str] = {
    "aliceblue": "f0f8ff", "antiquewhite": "faebd7", "aqua": "00ffff", "aquamarine": "7fffd4",
    "azure": "f0ffff", "beige": "f5f5dc", "bisque": "ffe4c4", "black": "000000",
    "blanchedalmond": "ffebcd", "blue": "0000ff", "blueviolet": "8a2be2", "brown": "a52a2a",
    "burlywood": "deb887", "cadetblue": "5f9ea0", "chartreuse": "7fff00", "chocolate": "d2691e",
    "coral": "ff7f50", "cornflowerblue": "6495ed", "cornsilk": "fff8dc", "crimson": "dc143c",
    "cyan": "00ffff", "darkblue": "00008b", "darkcyan": "008b8b", "darkgoldenrod": "b8860b",
    "darkgray": "a9a9a9", "darkgreen": "006400", "darkgrey": "a9a9a9", "darkkhaki": "bdb76b",
    "darkmagenta": "8b008b", "darkolivegreen": "556b2f", "darkorange": "ff8c00", "darkorchid": "9932cc",
    "darkred": "8b0000", "darksalmon": "e9967a", "darkseagreen": "8fbc8f", "darkslateblue": "483d8b",
    "darkslategray": "2f4f4f", "darkslategrey": "2f4f4f", "darkturquoise": "00ced1", "darkviolet": "9400d3",
    "deeppink": "ff1493", "deepskyblue": "00bfff", "dimgray": "696969", "dimgrey": "696969",
    "dodgerblue": "1e90ff", "firebrick": "b22222", "floralwhite": "fffaf0", "forestgreen": "228b22",
    "fuchsia": "ff00ff", "gainsboro": "dcdcdc", "ghostwhite": "f8f8ff", "gold": "ffd700",
    "goldenrod": "daa520", "gray": "808080", "green": "008000", "greenyellow": "adff2f",
    "grey": "808080", "honeydew": "f0fff0", "hotpink": "ff69b4", "indianred": "cd5c5c",
    "indigo": "4b0082", "ivory": "fffff0", "khaki": "f0e68c", "lavender": "e6e6fa",
    "lavenderblush": "fff0f5", "lawngreen": "7cfc00", "lemonchiffon": "fffacd", "lightblue": "add8e6",
    "lightcoral": "f08080", "lightcyan": "e0ffff", "lightgoldenrodyellow": "fafad2", "lightgray": "d3d3d3",
    "lightgreen": "90ee90", "lightgrey": "d3d3d3", "lightpink": "ffb6c1", "lightsalmon": "ffa07a",
    "lightseagreen": "20b2aa", "lightskyblue": "87cefa", "lightslategray": "778899",
    "lightslategrey": "778899", "lightsteelblue": "b0c4de", "lightyellow": "ffffe0", "lime": "00ff00",
    "limegreen": "32cd32", "linen": "faf0e6", "magenta": "ff00ff", "maroon": "800000",
    "mediumaquamarine": "66cdaa", "mediumblue": "0000cd", "mediumorchid": "ba55d3",
    "mediumpurple": "9370db", "mediumseagreen": "3cb371", "mediumslateblue": "7b68ee",
    "mediumspringgreen": "00fa9a", "mediumturquoise": "48d1cc", "mediumvioletred": "c71585",
    "midnightblue": "191970", "mintcream": "f5fffa", "mistyrose": "ffe4e1", "moccasin": "ffe4b5",
    "navajowhite": "ffdead", "navy": "000080", "oldlace": "fdf5e6", "olive": "808000",
    "olivedrab": "6b8e23", "orange": "ffa500", "orangered": "ff4500", "orchid": "da70d6",
    "palegoldenrod": "eee8aa", "palegreen": "98fb98", "paleturquoise": "afeeee",
    "palevioletred": "db7093", "papayawhip": "ffefd5", "peachpuff": "ffdab9", "peru": "cd853f",
    "pink": "ffc0cb", "plum": "dda0dd", "powderblue": "b0e0e6", "purple": "800080",
    "rebeccapurple": "663399", "red": "ff0000", "rosybrown": "bc8f8f", "royalblue": "4169e1",
    "saddlebrown": "8b4513", "salmon": "fa8072", "sandybrown": "f4a460", "seagreen": "2e8b57",
    "seashell": "fff5ee", "sienna": "a0522d", "silver": "c0c0c0", "skyblue": "87ceeb",
    "slateblue": "6a5acd", "slategray": "708090", "slategrey": "708090", "snow": "fffafa",
    "springgreen": "00ff7f", "steelblue": "4682b4", "tan": "d2b48c", "teal": "008080",
    "thistle": "d8bfd8", "tomato": "ff6347", "turquoise": "40e0d0", "violet": "ee82ee",
    "wheat": "f5deb3", "white": "ffffff", "whitesmoke": "f5f5f5", "yellow": "ffff00",
    "yellowgreen": "9acd32",
}

_HEX = re.compile(r"#([0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
#: rgb()/rgba() in either syntax: 'rgb(250, 250, 240)', 'rgba(0,0,0,.5)', 'rgb(250 250 240 / 50%)'.
_RGB = re.compile(r"rgba?\(\s*([^()]*?)\s*\)", re.IGNORECASE)
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?%?"
_RGB_ARGS = re.compile(rf"({_NUMBER})\s*(?:,\s*|\s+)({_NUMBER})\s*(?:,\s*|\s+)({_NUMBER})"
                       rf"(?:\s*[,/]\s*({_NUMBER}))?", re.IGNORECASE)


def parse(value: str) -> RGBA | None:
    """One CSS colour value, or None when it is not one this module reads."""
    value = value.strip()
    if value.startswith("#"):
        hexed = _HEX.fullmatch(value)
        return _from_hex(hexed.group(1)) if hexed else None
    low = value.lower()
    if low.startswith("rgb"):
        return _from_rgb(value)
    if low == "transparent":
        return (0.0, 0.0, 0.0, 0.0)
    named = NAMED.get(low)
    return _from_hex(named) if named else None


def find(value: str) -> RGBA | None:
    """The colour in a property value that may hold more ('background: url(x.png) #fff no-repeat',
    'color: #333 !important'): the first word of it that is a colour."""
    for word in _words(value):
        colour = parse(word)
        if colour is not None:
            return colour
    return None


def _words(value: str) -> list[str]:
    """The value's words, a function's parentheses kept whole ('rgb(1, 2, 3)' is one word)."""
    words, depth, start = [], 0, 0
    for i, ch in enumerate(value + " "):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif depth == 0 and (ch.isspace() or ch == ","):
            if i > start:
                words.append(value[start:i])
            start = i + 1
    return words


def _from_hex(digits: str) -> RGBA:
    if len(digits) in (3, 4):
        digits = "".join(c * 2 for c in digits)
    r, g, b = (int(digits[i:i + 2], 16) for i in (0, 2, 4))
    alpha = int(digits[6:8], 16) / 255 if len(digits) == 8 else 1.0
    return float(r), float(g), float(b), alpha


def _from_rgb(value: str) -> RGBA | None:
    call = _RGB.fullmatch(value)
    args = _RGB_ARGS.fullmatch(call.group(1)) if call else None
    if args is None:
        return None
    try:
        r, g, b = (_channel(args.group(i)) for i in (1, 2, 3))
        alpha = _alpha(args.group(4)) if args.group(4) else 1.0
    except ValueError:
        return None
    return r, g, b, alpha


def _channel(text: str) -> float:
    number = float(text[:-1]) * 2.55 if text.endswith("%") else float(text)
    return min(255.0, max(0.0, number))


def _alpha(text: str) -> float:
    number = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    return min(1.0, max(0.0, number))


def over(top: RGBA, below: RGB) -> RGB:
    """``top`` painted over the opaque ``below``: what a reader sees of a translucent colour."""
    a = top[3]
    return (top[0] * a + below[0] * (1 - a), top[1] * a + below[1] * (1 - a), top[2] * a + below[2] * (1 - a))


def luminance(rgb: RGB) -> float:
    """WCAG 2.x relative luminance of an opaque colour."""
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (x / 255 for x in rgb)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(fg: RGB, bg: RGB) -> float:
    a, b = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def opaque(colour: RGBA) -> RGB:
    return colour[0], colour[1], colour[2]
