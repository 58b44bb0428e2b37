"""Context values of each (sub)pipeline."""

from abc import ABC, abstractmethod
from typing import Dict, List, Set

from bamboo_engine.eri.interfaces._export import public
from bamboo_engine.eri.models.runtime import ContextValue


@public
class ContextMixin(ABC):
    """Read and write context values (keys in ``${name}`` form)."""

    @abstractmethod
    def get_context_values(self, pipeline_id: str, keys: set) -> List[ContextValue]:
        """The values of ``keys`` that exist in the pipeline's context."""

    @abstractmethod
    def get_context_key_references(self, pipeline_id: str, keys: set) -> set:
        """Keys referenced (transitively) by the values of ``keys``."""

    @abstractmethod
    def update_context_values(self, pipeline_id: str, context_values: List[ContextValue]) -> None:
        """Overwrite existing context values."""

    @abstractmethod
    def upsert_plain_context_values(self, pipeline_id: str, update: Dict[str, ContextValue]) -> None:
        """Insert or overwrite values as PLAIN."""

    @abstractmethod
    def get_context(self, pipeline_id: str) -> List[ContextValue]:
        """Every value of the pipeline's context."""

    @abstractmethod
    def get_context_outputs(self, pipeline_id: str) -> Set[str]:
        """The keys the pipeline exposes as outputs.

        Raises:
            NotFoundError: the pipeline has no outputs record (it was not prepared).
        """

    @abstractmethod
    def copy_context_values_to_new_pipeline(
        self,
        from_pipeline_id: str,
        to_pipeline_id: str,
        exclude_keys: Set[str] = None,
    ) -> None:
        """Copy every context value (except ``exclude_keys``) into another pipeline's context."""
