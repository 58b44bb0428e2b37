"""Lazy variable example: ``upper_case`` renders its source value in upper case."""

from pipeline.core.data.var import LazyVariable


class UpperCaseVariable(LazyVariable):
    """``{"type": "lazy", "custom_type": "upper_case", "value": "hello ${name}"}`` → ``"HELLO BAMBOO"``.

    ``self.value`` is already splice-rendered; ``self.pipeline_data`` holds the root pipeline inputs
    (``suffix`` is appended when present) and ``self.inner_loop`` the loop of the node using it.
    """

    code = "upper_case"
    name = "Upper case"
    type = "general"
    tag = "upper_case.value"
    form = "/static/playground/upper_case.js"

    def get_value(self):
        suffix = (self.pipeline_data or {}).get("suffix", "")
        return f"{str(self.value).upper()}{suffix}"
