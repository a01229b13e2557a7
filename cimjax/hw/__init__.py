"""Hardware estimator: pure, jittable functions of static layer shapes and circuit parameters.

Never imports Flax. So far it holds:
- :mod:`cimjax.hw.network`: the network's layer table (NeuroSim's NetWork.csv);
- :mod:`cimjax.hw.cost`: ``Cost(area, energy, latency, leakage)`` and its composition rules;
- :mod:`cimjax.hw.relax`: ceil/floor/round/⌈log2⌉ and best-candidate selection with an
  ``"exact"`` / ``"relaxed"`` / ``"ste"`` gradient mode;
- :mod:`cimjax.hw.floorplan`: NeuroSim's chip floorplan (spec §5.2) as ``jnp``;
- :mod:`cimjax.hw.tech`: technology tables and simple transistor / wire formulas (spec §5.3,
  §5.9), continuous in the node.

The component area / latency / energy models and the chip roll-up land with the rest of
the estimator issue.
"""

from cimjax.hw.cost import Cost as Cost
from cimjax.hw.cost import parallel as parallel
from cimjax.hw.cost import repeat as repeat
from cimjax.hw.cost import repeat_actions as repeat_actions
from cimjax.hw.cost import serial as serial
from cimjax.hw.floorplan import Floorplan as Floorplan
from cimjax.hw.floorplan import FloorplanConfig as FloorplanConfig
from cimjax.hw.floorplan import FloorplanParams as FloorplanParams
from cimjax.hw.floorplan import floorplan as floorplan
from cimjax.hw.tech import Technology as Technology
from cimjax.hw.tech import technology as technology
