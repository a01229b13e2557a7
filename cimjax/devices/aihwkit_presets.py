"""aihwkit's published single-device presets, and NeuroSim's device table, as :class:`PulsedDevice`.

The aihwkit values are data transcribed from ``src/aihwkit/simulator/presets/devices.py``
(aihwkit master, read 2026-12; docs ``analog_training_presets.rst``;
/work/shared/spec/peers_turn2.md §1.1), one :class:`PulsedPreset` per preset class: the
:class:`~cimjax.devices.protocol.PulsedDevice`, the data source (paper + aihwkit class), the
measured dead-device fraction where the paper gives one, and the aihwkit parameters this
simulator does not model (kept so nothing is silently dropped).

What differs from aihwkit, per preset, is in its ``notes``. Across all of them:

* ``write_noise_std`` (aihwkit's read-out noise on a hidden weight, re-drawn when a device is
  touched), ``lifetime`` (decay), ``reset*`` and ExpStep's ``dw_min_std_add`` /
  ``dw_min_std_slope`` are not modelled; they are listed in ``unmodelled``.
* aihwkit adds the d2d gain and the up/down bias, this simulator multiplies them (same to first
  order; :func:`cimjax.devices.protocol.sample_cells`).
* aihwkit's corrupt devices are stuck at a random value within ``±corrupt_devices_range``
  (0.01); here a dead cell keeps whatever weight it holds (``dead_fraction``).
* ``subtract_symmetry_point=True`` (the ReRAM-array presets) is not a device field here: apply
  :func:`cimjax.devices.steps.with_symmetry_reference` to the sampled cells.

Valid range: these are published fits; they say nothing about devices outside them.
"""

from __future__ import annotations

from typing import NamedTuple, Optional, Union

from cimjax.devices.presets import PRESETS, DevicePreset
from cimjax.devices.protocol import ConstantStep, PulsedDevice, SoftBounds
from cimjax.devices.steps import ExpStep, LinearStep, NeuroSimStep


class PulsedPreset(NamedTuple):
    device: PulsedDevice
    source: str  # paper + aihwkit class
    measured_dead_fraction: Optional[float]  # the array's measured corrupt-device fraction, if any
    unmodelled: dict  # aihwkit parameters with no counterpart here (name → value)
    notes: str  # approximations made in the transcription


PULSED_PRESETS: dict[str, PulsedPreset] = {
    "reram_es": PulsedPreset(
        PulsedDevice(
            ExpStep(A_up=-1.18445, A_down=-0.081404, gamma_up=5.0, gamma_down=5.0, a=-0.5, b=-0.5),
            dw_min=0.00135, up_down=0.259359, w_min=-1.0, w_max=1.0,
            dw_min_dtod=0.2, up_down_dtod=0.05, w_min_dtod=0.3, w_max_dtod=0.3, dw_min_std=5.0,
        ),
        "HfO2 ReRAM, Gong et al., Nat. Commun. 2018 (aihwkit ReRamESPresetDevice, ExpStepDevice)",
        None, {"write_noise_std": 75.0}, "",
    ),
    "reram_sb": PulsedPreset(
        PulsedDevice(
            SoftBounds(), dw_min=0.002, up_down=0.0, w_min=-0.75, w_max=1.25,
            dw_min_dtod=0.3, up_down_dtod=0.01, w_min_dtod=0.3 / 0.75, w_max_dtod=0.3 / 1.25,
            dw_min_std=3.75, mult_noise=False,
        ),
        "HfO2 ReRAM, Gong et al., Nat. Commun. 2018, soft-bounds fit (aihwkit ReRamSBPresetDevice, "
        "SoftBoundsReferenceDevice)",
        None, {"write_noise_std": 56.0}, "assumes the device is calibrated to its symmetry point (aihwkit's note)",
    ),
    "capacitor": PulsedPreset(
        PulsedDevice(
            LinearStep(0.05, 0.05, 0.01, 0.01, bound_reference=(-1.0, 1.0)),
            dw_min=0.005, up_down=0.0, w_min=-1.0, w_max=1.0,
            dw_min_dtod=0.1, up_down_dtod=0.06, w_min_dtod=0.07, w_max_dtod=0.07,
            dw_min_std=0.3, mult_noise=False,
        ),
        "14 nm trench capacitor, Li et al., VLSI 2018 (aihwkit CapacitorPresetDevice, LinearStepDevice)",
        None, {"lifetime": 1.0e6, "lifetime_dtod": 0.3}, "capacitor leakage (lifetime, in mini-batches) not modelled",
    ),
    "ecram": PulsedPreset(
        PulsedDevice(
            LinearStep(0.1153, 0.5085, 0.05, 0.05, bound_reference=(-0.8276, 1.1724)),
            dw_min=0.002, up_down=0.0, w_min=-0.8276, w_max=1.1724,
            dw_min_dtod=0.1, up_down_dtod=0.01, w_min_dtod=0.05, w_max_dtod=0.05, dw_min_std=0.3,
        ),
        "Li-ion WO3 ECRAM, Tang et al., IEDM 2018 (aihwkit EcRamPresetDevice, LinearStepDevice)",
        None, {}, "range shifted so the symmetry point is at 0 (aihwkit's fit)",
    ),
    "ecram_mo": PulsedPreset(
        PulsedDevice(
            LinearStep(0.4152, 0.7342, 0.05, 0.05, bound_reference=(-0.8286, 1.1714)),
            dw_min=2.8214e-4, up_down=0.0, w_min=-0.8286, w_max=1.1714,
            dw_min_dtod=0.1, up_down_dtod=0.01, w_min_dtod=0.05, w_max_dtod=0.05, dw_min_std=2.0,
        ),
        "metal-oxide ECRAM, Kim et al., IEDM 2019 (aihwkit EcRamMOPresetDevice, LinearStepDevice)",
        None, {}, "",
    ),
    "idealized": PulsedPreset(
        PulsedDevice(
            ConstantStep(), dw_min=0.0002, up_down=0.0, w_min=-1.0, w_max=1.0,
            dw_min_dtod=0.3, up_down_dtod=0.0, w_min_dtod=0.3, w_max_dtod=0.3, dw_min_std=0.3,
        ),
        "idealised device, Gokmen & Vlasov 2016 with 10 000 states (Rasch et al., IEEE D&T 2019; "
        "aihwkit IdealizedPresetDevice, ConstantStepDevice)",
        None, {}, "",
    ),
    "gokmen_vlasov": PulsedPreset(
        PulsedDevice(
            ConstantStep(), dw_min=0.0016, up_down=0.0, w_min=-1.0, w_max=1.0,
            dw_min_dtod=0.3, up_down_dtod=0.01, w_min_dtod=0.3, w_max_dtod=0.3, dw_min_std=0.3,
        ),
        "RPU specification, Gokmen & Vlasov, Front. Neurosci. 2016 (aihwkit GokmenVlasovPresetDevice, "
        "ConstantStepDevice)",
        None, {}, "",
    ),
    "pcm": PulsedPreset(
        PulsedDevice(
            # aihwkit: range [0, 2], a = −1, b = 0. Shifted to [−1, 1] (PulsedDevice needs
            # w_min < 0 < w_max): z = 2a·w/2 + b at w = w' + 1 is a·w' + (a + b), so b' = −1,
            # and w_max_dtod 0.1 of 2 becomes 0.2 of 1 (w_min_dtod is 0).
            ExpStep(A_up=-27.235, A_down=-2.235, gamma_up=2.5, gamma_down=2.5, a=-1.0, b=-1.0),
            dw_min=0.01, up_down=0.0, w_min=-1.0, w_max=1.0,
            dw_min_dtod=0.2, up_down_dtod=0.05, w_min_dtod=0.0, w_max_dtod=0.2, dw_min_std=0.6,
        ),
        "GST PCM, Nandakumar et al., Front. Neurosci. 2020 (aihwkit PCMPresetDevice, ExpStepDevice)",
        None,
        {"dw_min_std_add": 0.042, "dw_min_std_slope": 0.108, "reset": 0.01, "reset_dtod": 0.02},
        "APPROXIMATE: a one-directional device that aihwkit uses only as a G+/G− pair with refresh "
        "(PCMPresetUnitCell, OneSidedUnitCell); here a single device on [0, 2] shifted to [−1, 1] "
        "(exact for the step without bound d2d; with it aihwkit's offset 2a/(w_max − w_min) varies "
        "per cell); the complex c2c noise and reset are not modelled",
    ),
    "reram_array_om": PulsedPreset(
        PulsedDevice(
            SoftBounds(), dw_min=0.0949, up_down=0.0, w_min=-1.0, w_max=1.0,
            dw_min_dtod=0.7829, dw_min_dtod_log_normal=True, up_down_dtod=0.01,
            w_min_dtod=0.5695, w_max_dtod=0.3499, dw_min_std=0.4158, mult_noise=False,
            reference_std=0.05,
        ),
        "ReRAM array, 'Optimized Material', Gong & Rasch et al., IEDM 2022 (aihwkit "
        "ReRamArrayOMPresetDevice, SoftBoundsReferenceDevice)",
        0.1348, {"write_noise_std": 1.4113, "corrupt_devices_range": 0.01},
        "subtract_symmetry_point: apply steps.with_symmetry_reference; 13.48 % corrupt devices "
        "measured (off by default, as in aihwkit; pulsed_preset(..., dead=True))",
    ),
    "reram_array_hfo2": PulsedPreset(
        PulsedDevice(
            SoftBounds(), dw_min=0.4622, up_down=0.0, w_min=-1.0, w_max=1.0,
            dw_min_dtod=0.7125, dw_min_dtod_log_normal=True, up_down_dtod=0.01,
            w_min_dtod=0.5990, w_max_dtod=0.4295, dw_min_std=0.2174, mult_noise=False,
            reference_std=0.05,
        ),
        "ReRAM array, 'Baseline HfO2', Gong & Rasch et al., IEDM 2022 (aihwkit "
        "ReRamArrayHfO2PresetDevice, SoftBoundsReferenceDevice)",
        0.0977, {"write_noise_std": 0.5841, "corrupt_devices_range": 0.01},
        "subtract_symmetry_point: apply steps.with_symmetry_reference; 9.77 % corrupt devices "
        "measured (off by default, as in aihwkit; pulsed_preset(..., dead=True))",
    ),
}

PULSED_PRESET_NAMES = tuple(PULSED_PRESETS)


def pulsed_preset(name: str, *, dead: bool = False) -> PulsedDevice:
    """The :class:`PulsedDevice` of aihwkit preset ``name`` (a key of :data:`PULSED_PRESETS`).

    ``dead=True`` sets ``dead_fraction`` to the array's measured corrupt-device fraction (only
    the ReRAM-array presets have one).
    """
    if name not in PULSED_PRESETS:
        raise ValueError(f"unknown pulsed preset {name!r}: expected one of {', '.join(PULSED_PRESET_NAMES)}")
    preset = PULSED_PRESETS[name]
    if not dead:
        return preset.device
    if preset.measured_dead_fraction is None:
        with_dead = [n for n, p in PULSED_PRESETS.items() if p.measured_dead_fraction is not None]
        raise ValueError(f"pulsed preset {name!r} has no measured dead fraction (only {', '.join(with_dead)})")
    return preset.device.replace(dead_fraction=preset.measured_dead_fraction)


def neurosim_pulsed_device(preset: Union[str, DevicePreset], *, d2d_sigma: float = 0.0) -> PulsedDevice:
    """A NeuroSim device (a name of :data:`cimjax.devices.presets.PRESETS` or a
    :class:`DevicePreset`) as a :class:`PulsedDevice` with :class:`NeuroSimStep`.

    * Bounds ±1 and ``dw_min = 2/max_level``: the step is NeuroSim's curve exactly
      (:class:`~cimjax.devices.steps.NeuroSimStep`). NeuroSim then clips the weight to its
      ``b_W``-bit grid's ±(1 − 2^(1−b_W)) (±15/16 at 5 bit); the bounds here are the curve's ±1.
    * Cycle-to-cycle noise: NeuroSim adds ``N(0, (2σ_c2c)²)`` in weight units (σ a fraction of the
      range 2), independent of the step. Here it is additive per pulse (``mult_noise=False``)
      with ``dw_min_std = σ_c2c·max_level``, i.e. ``dw_min·dw_min_std = 2σ_c2c``: exactly
      MLP+NeuroSim's per-pulse noise (``c2c_noise(mode='per_pulse')``); NeuroSim V2.0 adds it
      once per update event, so an update of ``n`` pulses gets ``√n`` times V2.0's noise here
      (the same for ``n = 1``). APPROXIMATE for multi-pulse updates.
    * ``d2d_sigma`` is NeuroSim's label spread (§2.6; 0 in the V2.0 default).
    """
    if isinstance(preset, str):
        if preset not in PRESETS:
            raise ValueError(f"unknown NeuroSim device {preset!r}: expected one of {', '.join(PRESETS)}")
        preset = PRESETS[preset]
    level = int(preset.max_level)
    return PulsedDevice(
        NeuroSimStep(float(preset.nl_ltp), float(preset.nl_ltd), level, d2d_sigma=float(d2d_sigma)),
        dw_min=2.0 / level, w_min=-1.0, w_max=1.0,
        dw_min_std=float(preset.c2c_sigma) * level, mult_noise=False,
    )
