"""Strings that are hard to put in SQL, and how MySQL reads a string literal back.

Shared by the unit tests of ``pipeline.eri.imp.bulk_insert`` (tests/django) and the MariaDB round trip
(tests/integration); standard library only, so importing it configures nothing.
"""

NASTY = [
    "",
    "plain",
    "'",
    "''",
    "it's",
    '"',
    '\\"',
    "\\",
    "\\\\",
    "\\'",
    "ends with a backslash \\",
    "\0",
    "a\0b",
    "\n",
    "\r\n",
    "\t",
    "\b",
    "\x1a",
    "\x1e\x1f",
    "\x7f",
    "\\n is not a newline",
    "\\%\\_",
    "%s %(name)s %% ?",
    "'); DROP TABLE eri_node; --",
    "/* comment */ -- comment # comment",
    "NULL",
    "\\N",
    "é à ü ß",
    "中文字符",
    "🙂 emoji",
    "👩\u200d👩\u200d👧 family",
    "\u2028\u2029",
    "\ufeffBOM",
    '{"json": "with \\"quotes\\" and \\\\ and \'single\'"}',
    "mixed '\\\0\n\r\x1a\"' end",
]

_BACKSLASH_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}


def mysql_decode(literal: str, backslash_escapes: bool = True) -> str:
    """The string MySQL reads from a single-quoted literal (rules of the MySQL manual, "String Literals")."""
    assert literal[0] == literal[-1] == "'", literal
    body, out, index = literal[1:-1], [], 0
    while index < len(body):
        char = body[index]
        if char == "\\" and backslash_escapes:
            following = body[index + 1]
            # \% and \_ keep their backslash (they are LIKE escapes); any other \x is x.
            out.append(
                "\\" + following if following in "%_" else _BACKSLASH_ESCAPES.get(following, following)
            )
            index += 2
        elif char == "'":
            assert body[index + 1] == "'", f"unescaped quote in {literal!r}"
            out.append("'")
            index += 2
        else:
            out.append(char)
            index += 1
    return "".join(out)
