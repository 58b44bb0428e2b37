"""Cost of the value codec on the hot path: ``python -m benchmark.codec``.

Every service node writes its outputs, so plain JSON values must stay about as cheap as ``json.dumps`` /
``json.loads`` (what storing them cost before the tagged encoding existed). Prints the best of five
rounds, in microseconds per call, for a typical small outputs dict, plain and with one datetime.
"""

import datetime
import json
import timeit
from typing import Any, Callable

from bamboo_engine import codec

OUTPUTS = {
    "_result": True,
    "_loop": 1,
    "_inner_loop": 1,
    "message": "ok",
    "count": 3,
    "result": {"id": 123, "name": "abc", "items": [1, 2, 3], "ratio": 0.5, "owner": None},
}
WITH_DATETIME = dict(OUTPUTS, due=datetime.datetime(2024, 5, 1, 10, 0, 0, 123456))
CALLS = 200_000
ROUNDS = 5


def per_call_us(call: Callable[[], Any]) -> float:
    return min(timeit.repeat(call, number=CALLS, repeat=ROUNDS)) / CALLS * 1e6


def main() -> None:
    plain_text = json.dumps(OUTPUTS)
    tagged_text, tagged = codec.encode(WITH_DATETIME)
    rows = [
        ("json.dumps(outputs)", lambda: json.dumps(OUTPUTS)),
        ("codec.encode(outputs) -> 'json'", lambda: codec.encode(OUTPUTS)),
        ("json.loads(text)", lambda: json.loads(plain_text)),
        ("codec.decode(text, 'json')", lambda: codec.decode(plain_text, codec.JSON_SERIALIZER)),
        ("codec.encode(outputs + datetime) -> 'tagged_json'", lambda: codec.encode(WITH_DATETIME)),
        ("codec.decode(tagged text, 'tagged_json')", lambda: codec.decode(tagged_text, tagged)),
    ]
    for label, call in rows:
        print(f"{label:52s} {per_call_us(call):6.2f} us")


if __name__ == "__main__":
    main()
