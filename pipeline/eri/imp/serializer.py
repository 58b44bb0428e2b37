"""SerializerMixin: how execution data, context values, histories and callback data are stored as text."""

from typing import Any, Tuple

from pipeline.conf import settings
from pipeline.eri import codec


class SerializerMixin:
    """JSON by default, with the serializer name stored next to the value; pickle only when enabled."""

    def _serialize(self, value: Any) -> Tuple[str, str]:
        return codec.dumps(value, allow_pickle=settings.BAMBOO_DJANGO_ERI_ALLOW_PICKLE)

    def _deserialize(self, text: str, serializer: str) -> Any:
        return codec.loads(text, serializer, allow_pickle=settings.BAMBOO_DJANGO_ERI_ALLOW_PICKLE)
