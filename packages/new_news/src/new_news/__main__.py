from repro_core.cli import main

from .stages import STAGES

main(STAGES, prog="new_news")
