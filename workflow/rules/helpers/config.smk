# Helper of the Snakefile (functions only: the Snakefile holds rules).
from repro_core.config import ConfigError, check_yaml_file


def checked(path):
    """A config file, parsed first so a YAML mistake names file, line and column."""
    try:
        check_yaml_file(path)
    except ConfigError as exc:
        raise WorkflowError(f"invalid config file:\n  {exc}") from None
    return str(path)
