"""The DNN+NeuroSim V2.0 user manual's example run (Figs. 32–34): VGG-8 on CIFAR-10, epoch 0.

Wrapper side (docs/model.md §7.1, the saved-model path printed in Fig. 32): wl_weight 5, wl_activate 8,
wl_grad 5, wl_error 8, cellBit 5, max_level 32, NL_LTP 1.75 / NL_LTD 1.46, c2cVari 0.003,
d2dVari 0, batch 200, grad_scale 1 with lr drops at 200 and 250, seed 117, inference 0. The
wrapper's ``ADCprecision 5`` and ``onoff 10`` only act in its inference emulation (inference
0: unused in training) and are not the estimator's: the hardware ADC and on/off ratio are the
``Param.cpp``'s (``array.mode`` stays ``ideal``, so ``hardware.on_off_ratio`` reaches only the
estimator).

Hardware side: the manual does not print its ``Param.cpp``. We use the one docs/model.md §7.1 names as
most likely, which is the first public ``Param.cpp`` — neurosim/DNN_NeuroSim_V2.0 commit
bf95f9c (2020-03-15), read in the repository's history: ``memcelltype = 3`` (FeFET, on the
1T1R 4F × 4F cell), R_on 500 kΩ, R_off = 100·R_on, 32 levels LTP/LTD, write 3.3 V / 75 ns,
read 0.5 V / 10 ns, 32 nm LSTP, 1 GHz, 301 K, 128×128 sub-arrays, 6-bit ADC (levelOutput 64),
8:1 column mux, cellBit 5, novel mapping, register-file buffers, HBM2, batch 200 × 250
iterations, ``maxGlobalBusWidth = 2048`` (``hardware.global_bus_width``; 8192 from August 2020
on, and in cimjax's default) and ``levelOutputWG = 16`` (``hardware.wg_adc_bits = 4``). The
Fig. 34 run itself had ``levelOutputWG = 64`` (``--set hardware.wg_adc_bits=6``; see
``benchmarks/fig34.py``, whose ``march2020``/``march2020_wg64`` variants are these two).
The estimator follows the March 2020 code's models (``hardware.neurosim_code = "march2020"``),
the code that computed Fig. 34; ``--set hardware.neurosim_code=current`` gives today's models.
"""

from cimjax.config import Config, DataConfig, DeviceConfig, HardwareConfig, ModelConfig, QuantConfig, RunConfig, TrainConfig

#: ``maxGlobalBusWidth`` of the March 2020 ``Param.cpp`` (``hardware.global_bus_width``).
MAX_GLOBAL_BUS_WIDTH = 2048


def get_config() -> Config:
    return Config(
        data=DataConfig(name="cifar10", batch_size=200, eval_batch_size=200, augment=True),
        model=ModelConfig(name="vgg8", width=1.0, num_classes=10, loss="sse", input_normalisation="neurosim"),
        quant=QuantConfig(weight_bits=5, activation_bits=8, gradient_bits=5, error_bits=8),
        device=DeviceConfig(
            name="fefet_hzo", nl_ltp=1.75, nl_ltd=1.46, max_level=32, c2c_sigma=0.003, d2d_sigma=0.0,
            c2c_mode="per_update",
        ),
        train=TrainConfig(
            epochs=257,
            optimizer="neurosim",
            learning_rate=1.0,
            momentum=0.9,
            alpha=0.1,
            lr_decay_epochs=(200, 250),
            lr_decay_factor=8.0,
            momentum_renorm=True,
            reset_momentum_each_epoch=True,
        ),
        hardware=HardwareConfig(
            cell_type="fefet",
            technology_node_nm=32.0,
            subarray_rows=128,
            subarray_cols=128,
            adc_bits=6,
            cell_bits=5,
            columns_per_adc=8,
            r_on=500e3,
            on_off_ratio=100.0,
            read_voltage=0.5,
            write_voltage=3.3,
            read_pulse_width=10e-9,
            write_pulse_width=75e-9,
            clock_hz=1e9,
            temperature_k=301.0,
            mapping="novel",
            global_buffer="register_file",
            tile_buffer="register_file",
            dram="hbm2",
            wg_adc_bits=4,
            global_bus_width=MAX_GLOBAL_BUS_WIDTH,
            neurosim_code="march2020",
        ),
        run=RunConfig(seed=117, out_dir="runs/neurosim_fig34", name="neurosim_fig34"),
    )
