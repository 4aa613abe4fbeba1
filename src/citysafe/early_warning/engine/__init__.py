"""Rule engine of the early-warning system: pure numpy, no Django, no ORM.

    from citysafe.early_warning.engine import Engine, RuleSpec, DeviceSpec, ReadingBatch, LevelChange, LEVELS
    engine = Engine(rules)
    changes, state = engine.evaluate(batch, devices, state)

See docs/rules.md for the rule types, their parameters and sources, and the state format.
"""

from .core import Engine
from .evaluators import RuleError, fukuzono_failure_time
from .types import LEVEL_INDEX, LEVELS, RULE_TYPES, DeviceSpec, LevelChange, ReadingBatch, RuleSpec

__all__ = ["Engine", "RuleSpec", "DeviceSpec", "ReadingBatch", "LevelChange", "LEVELS", "LEVEL_INDEX", "RULE_TYPES",
           "RuleError", "fukuzono_failure_time"]
