"""Collection types used in ERI models and plugin data."""

from typing import Any


class FancyDict(dict):
    """A dict whose keys can also be read and written as attributes."""

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError as err:
            raise AttributeError(key) from err

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value

    def __delattr__(self, key: str) -> None:
        try:
            del self[key]
        except KeyError as err:
            raise AttributeError(key) from err

    def __getstate__(self):
        return dict(self)

    def __setstate__(self, state) -> None:
        self.update(state)
