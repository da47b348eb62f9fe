from repro_core.cli import main

from .stages import STAGES

main(STAGES, prog="rl_wall")
