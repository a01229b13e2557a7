"""Peripheral components of the estimator as pure ``(params, config) -> Cost`` functions.

Spec §5.6 (NeuroSim V2.0 peripheral modules) on the technology of :mod:`cimjax.hw.tech`:

- :mod:`~cimjax.hw.components.params`: :class:`CircuitParams` (traced, shared by every
  component) and :class:`ComponentConfig` (static: roadmap, relax mode);
- :mod:`~cimjax.hw.components.gates`: standard cells (INV, NAND, NOR, TG);
- :mod:`~cimjax.hw.components.logic`: adder, adder tree, DFF, shift-adder;
- :mod:`~cimjax.hw.components.routing`: mux, decoder, repeated wire, H-tree, bus;
- :mod:`~cimjax.hw.components.misc`: ReLU, max-pool, DRAM, register-file buffer, §5.7
  buffer sizing.

Each cost function takes a params NamedTuple (first field ``circuit``) and a frozen config,
and returns the :class:`~cimjax.hw.cost.Cost` of one action with area and leakage.
"""

from cimjax.hw.components.gates import Gate as Gate
from cimjax.hw.components.gates import gate as gate
from cimjax.hw.components.logic import AdderParams as AdderParams
from cimjax.hw.components.logic import AdderTreeConfig as AdderTreeConfig
from cimjax.hw.components.logic import AdderTreeParams as AdderTreeParams
from cimjax.hw.components.logic import DffParams as DffParams
from cimjax.hw.components.logic import ShiftAdderParams as ShiftAdderParams
from cimjax.hw.components.logic import adder as adder
from cimjax.hw.components.logic import adder_tree as adder_tree
from cimjax.hw.components.logic import dff as dff
from cimjax.hw.components.logic import shift_adder as shift_adder
from cimjax.hw.components.misc import BufferConfig as BufferConfig
from cimjax.hw.components.misc import BufferParams as BufferParams
from cimjax.hw.components.misc import BufferSizing as BufferSizing
from cimjax.hw.components.misc import BufferSizingConfig as BufferSizingConfig
from cimjax.hw.components.misc import BufferSizingParams as BufferSizingParams
from cimjax.hw.components.misc import DramConfig as DramConfig
from cimjax.hw.components.misc import DramParams as DramParams
from cimjax.hw.components.misc import MaxPoolParams as MaxPoolParams
from cimjax.hw.components.misc import ReluParams as ReluParams
from cimjax.hw.components.misc import buffer_sizing as buffer_sizing
from cimjax.hw.components.misc import dram as dram
from cimjax.hw.components.misc import max_pool as max_pool
from cimjax.hw.components.misc import register_file_buffer as register_file_buffer
from cimjax.hw.components.misc import relu as relu
from cimjax.hw.components.params import CircuitParams as CircuitParams
from cimjax.hw.components.params import ComponentConfig as ComponentConfig
from cimjax.hw.components.params import circuit_technology as circuit_technology
from cimjax.hw.components.routing import BusConfig as BusConfig
from cimjax.hw.components.routing import BusParams as BusParams
from cimjax.hw.components.routing import DecoderConfig as DecoderConfig
from cimjax.hw.components.routing import DecoderParams as DecoderParams
from cimjax.hw.components.routing import HTreeConfig as HTreeConfig
from cimjax.hw.components.routing import HTreeParams as HTreeParams
from cimjax.hw.components.routing import MuxParams as MuxParams
from cimjax.hw.components.routing import RepeatedWire as RepeatedWire
from cimjax.hw.components.routing import bus as bus
from cimjax.hw.components.routing import decoder as decoder
from cimjax.hw.components.routing import htree as htree
from cimjax.hw.components.routing import mux as mux
from cimjax.hw.components.routing import repeated_wire as repeated_wire
