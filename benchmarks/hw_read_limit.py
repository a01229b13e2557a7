"""What the hardware read reproduces: hw / ideal per layer and for the network (issue 21).

Builds VGG-8 (``configs/vgg8_cifar10.py``) with the seed's initial weights clipped to WAGE's
range ``C(w, b_W)`` (what every update leaves), reads random images through
``array.mode = ideal`` and ``hw_forward``, and prints for each ADC width and level mapping
(docs/model.md §3.5):

* per layer: ``mean|hw| / mean|ideal|`` and the correlation of the layer's output when it is
  given the *ideal* network's input (so each layer's own error, not the propagated one);
* the network: the same for the logits.

No variation, no drift; the ADC is NeuroSim's linear one with dynamic range unless ``--set``
says otherwise. These are not timings: the numbers are the same on every machine::

    python benchmarks/hw_read_limit.py                       # ADC 12, 8, 5; both mappings
    python benchmarks/hw_read_limit.py --bits 12 --mapping exact --width 0.25
"""

from __future__ import annotations

import argparse
import sys

import jax
import numpy as np
from flax import nnx

from cimjax import quant
from cimjax.config import apply_overrides, load_config
from cimjax.nn.models import create_model, layer_arrays


def _model(mode: str, bits: int, mapping: str, width: float, extra: list[str]):
    config = apply_overrides(load_config("configs/vgg8_cifar10.py"), [
        f"model.width={width}", f"array.mode={mode}", f"hardware.adc_bits={bits}",
        f"array.level_mapping={mapping}", *extra])
    model = create_model(config.model, config.quant, (32, 32, 3), rngs=nnx.Rngs(params=config.run.seed),
                         arrays=layer_arrays(config))
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    params = jax.tree.map(lambda w: quant.clip_c(w, config.quant.weight_bits), params)
    return nnx.merge(graphdef, params, rest)


def _compare(hw, ideal) -> tuple[float, float]:
    hw, ideal = np.asarray(hw, np.float64).ravel(), np.asarray(ideal, np.float64).ravel()
    return float(np.abs(hw).mean() / np.abs(ideal).mean()), float(np.corrcoef(hw, ideal)[0, 1])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bits", type=int, nargs="+", default=[12, 8, 5], help="ADC widths")
    p.add_argument("--mapping", nargs="+", default=["neurosim", "exact"], help="array.level_mapping values")
    p.add_argument("--width", type=float, default=0.125, help="VGG-8 width")
    p.add_argument("--images", type=int, default=8, help="random 32x32x3 images")
    p.add_argument("--set", dest="extra", action="append", default=[], help="more config overrides")
    args = p.parse_args(argv)

    ideal = _model("ideal", 12, "neurosim", args.width, args.extra)
    images = jax.random.uniform(jax.random.key(1), (args.images, 32, 32, 3)) * 2.0 - 1.0
    ideal_logits, inputs = ideal.forward_with_inputs(images)
    names = ideal.layer_names
    print(f"VGG-8 x{args.width:g}, {args.images} random images, weights clipped to C(w, b_W); "
          "each cell: mean|hw|/mean|ideal| (correlation)")
    print("| ADC bits | level_mapping | " + " | ".join(names) + " | network |")
    print("| --- | --- | " + " | ".join("---" for _ in names) + " | --- |")
    for bits in args.bits:
        for mapping in args.mapping:
            hw = _model("hw_forward", bits, mapping, args.width, args.extra)
            cells = []
            for name in names:
                r, c = _compare(getattr(hw, name)(inputs[name]), getattr(ideal, name)(inputs[name]))
                cells.append(f"{r:.3f} ({c:.4f})")
            r, c = _compare(hw(images), ideal_logits)
            print(f"| {bits} | {mapping} | " + " | ".join(cells) + f" | **{r:.3f}** ({c:.4f}) |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
