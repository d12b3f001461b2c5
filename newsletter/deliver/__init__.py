"""Getting the email out: email-service profiles, .eml files, test sends, link tagging, archive."""
