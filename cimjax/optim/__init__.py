"""Device-aware optimisers: NeuroSim's momentum and weight update, and the in-situ training rules
(analog SGD, Tiki-Taka family, mixed precision; docs/algorithms.md), as optax transformations."""

from cimjax.optim.device_update import (
    NO_PARAMS_MSG as NO_PARAMS_MSG,
    DeviceUpdateState as DeviceUpdateState,
    device_update as device_update,
    neurosim_optimizer as neurosim_optimizer,
)
from cimjax.optim.momentum import (
    NeuroSimMomentumState as NeuroSimMomentumState,
    neurosim_momentum as neurosim_momentum,
    reset_momentum as reset_momentum,
    step_decay_schedule as step_decay_schedule,
)
from cimjax.optim.weight_change import device_weight_change as device_weight_change
from cimjax.optim.analog_algorithms import (
    ALGORITHMS as ANALOG_ALGORITHMS,
    AnalogAlgorithm as AnalogAlgorithm,
    AnalogState as AnalogState,
    RuleCounts as RuleCounts,
    analog_optimizer as analog_optimizer,
    last_a_pulses as last_a_pulses,
    layer_counts as layer_counts,
    reset_counts as reset_counts,
)
