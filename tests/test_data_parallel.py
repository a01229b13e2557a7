"""run.data_parallel (issue 17): the batch split over two devices gives the losses, weights and
accuracy of one device. Two CPU devices come from ``--xla_force_host_platform_device_count=2``,
which must be set before JAX starts, so the two-device checks run in a child process."""

import json
import os
import subprocess
import sys
import textwrap

import jax
import pytest

from cimjax import parallel
from cimjax.config import ConfigError, apply_overrides, load_config
from cimjax.errors import InputError
from helpers import ROOT

CHILD = textwrap.dedent(r"""
    import json, sys
    import jax, numpy as np
    from cimjax import data as data_lib, parallel
    from cimjax.config import apply_overrides, load_config
    from cimjax.errors import InputError
    from cimjax.trainer import Trainer, healthy, make_keys, steps_per_epoch

    assert len(jax.local_devices()) == 2, jax.local_devices()
    # augmentation on: its random draws must not depend on how the batch is split
    cfg = apply_overrides(load_config("configs/synthetic_smoke.py"), ["data.augment=true"])
    keys = make_keys(cfg.run.seed)
    ds = data_lib.load_dataset(cfg.data, key=keys.data)
    n = steps_per_epoch(cfg, len(ds.train_labels))
    out = {}
    for devices in (1, 2):
        par = parallel.resolve(devices, {"data.batch_size": cfg.data.batch_size})
        tr = Trainer(cfg, tuple(ds.train_images.shape[1:]), n, keys, par)
        state, health, losses = tr.initial_state, healthy(), []
        batches = data_lib.iterate_batches(ds.train_images, ds.train_labels, cfg.data.batch_size,
                                           key=keys.shuffle, drop_remainder=True)
        for i, batch in zip(range(6), batches):
            batch = par.shard(batch)
            if devices == 2 and i == 0:
                shard_rows = sorted({s.data.shape[0] for s in batch["image"].addressable_shards})
            state, loss, health = tr.train_step_checked(state, batch, health)
            losses.append(float(loss))
        out[devices] = dict(
            losses=losses,
            params=[np.asarray(p).tolist() for p in jax.tree.leaves(state.params)],
            replicated=all(p.sharding.is_fully_replicated for p in jax.tree.leaves(state.params)),
            eval=list(tr.evaluate(state.params, ds.test_images, ds.test_labels)),
        )
    out["shard_rows"] = shard_rows
    try:
        parallel.resolve(2, {"data.batch_size": 25})
        out["odd_batch"] = None
    except InputError as e:
        out["odd_batch"] = str(e)
    print("RESULT " + json.dumps(out))
""")


def _child(code: str) -> dict:
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2", "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def test_two_devices_equal_one():
    import numpy as np

    r = _child(CHILD)
    assert r["shard_rows"] == [25]  # batch 50 split in halves
    assert r["2"]["replicated"]  # the state stays replicated on both devices
    np.testing.assert_allclose(r["2"]["losses"], r["1"]["losses"], rtol=1e-5)
    assert r["1"]["losses"][-1] < r["1"]["losses"][0]  # it trained
    for a, b in zip(r["1"]["params"], r["2"]["params"]):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), atol=1e-6)
    np.testing.assert_allclose(r["2"]["eval"], r["1"]["eval"], rtol=1e-5)
    assert "data.batch_size = 25" in r["odd_batch"] and "multiple of 2" in r["odd_batch"]


def test_more_devices_than_the_host_has_is_refused():
    with pytest.raises(InputError, match=r"run.data_parallel = 64 is invalid: this host has \d+ cpu device"):
        parallel.resolve(64, {"data.batch_size": 64})
    assert parallel.resolve(0, {"data.batch_size": 7}).n == len(jax.local_devices())


def test_config_range():
    base = load_config("configs/synthetic_smoke.py")
    assert apply_overrides(base, ["run.data_parallel=0"]).run.data_parallel == 0
    with pytest.raises(ConfigError, match="run.data_parallel"):
        apply_overrides(base, ["run.data_parallel=-1"])


RUN_CHILD = textwrap.dedent(r"""
    import json, sys
    from cimjax import train
    from cimjax.config import apply_overrides, load_config

    tmp = sys.argv[1]
    base = apply_overrides(load_config("configs/synthetic_smoke.py"), [
        "run.estimate_each_epoch=false", "data.synthetic_train_size=500", "data.synthetic_test_size=250"])
    out = {}
    one = apply_overrides(base, [f"run.out_dir={tmp}/one"])
    out["one"] = train.train_and_evaluate(one, log=lambda *a: None, progress=False)["history"]
    two = apply_overrides(base, [f"run.out_dir={tmp}/two", "run.data_parallel=2", "train.epochs=1"])
    s = train.train_and_evaluate(two, log=lambda *a: None, progress=False)
    out["devices"] = s["data_parallel_devices"]
    # resume the sharded run from its (sharded) checkpoint for the second epoch
    s = train.train_and_evaluate(apply_overrides(two, ["train.epochs=2"]), log=lambda *a: None, progress=False, resume=True)
    out["two"] = s["history"]
    print("RESULT " + json.dumps(out))
""")


@pytest.mark.slow  # three short trainings in a child process, about a minute on the 2-core VM
def test_sharded_run_checkpoints_and_resumes_like_one_device(tmp_path):
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2", "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run([sys.executable, "-c", RUN_CHILD, str(tmp_path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r = json.loads([x for x in proc.stdout.splitlines() if x.startswith("RESULT ")][-1][len("RESULT "):])
    assert r["devices"] == 2
    assert [h["epoch"] for h in r["two"]] == [0, 1]
    for a, b in zip(r["one"], r["two"]):
        assert b["accuracy"] == a["accuracy"]
        assert abs(b["loss"] - a["loss"]) <= 1e-5 * abs(a["loss"])


MAP_CHILD = textwrap.dedent(r"""
    import json
    import jax, numpy as np
    from cimjax.config import Config, DataConfig, DeviceConfig, ModelConfig, RunConfig, TrainConfig
    from cimjax.dse import device_map as dm

    cfg = Config(
        data=DataConfig(name="synthetic", image_shape=(8, 8, 1), synthetic_train_size=160, synthetic_test_size=40,
                        batch_size=40, eval_batch_size=40),
        model=ModelConfig(name="mlp", hidden=16), device=DeviceConfig(name="fefet_hzo"),
        train=TrainConfig(epochs=1, steps_per_epoch=4, lr_decay_epochs=()),
        run=RunConfig(seed=5, estimate_each_epoch=False))
    settings = {"nl_ltp": [1.75, 3.0, 0.0], "nl_ltd": [1.46, -3.0, 0.0], "max_level": [32, 64, 16],
                "c2c_sigma": [0.003, 0.02, 0.0], "d2d_sigma": [0.0, 0.5, 0.0]}
    out = {}
    for shard in (False, True):
        r = dm.run_device_map(cfg, settings, seeds=(0,), chunk=3, include_ideal=False, shard=shard, progress=False)
        out[str(shard)] = dict(acc=r.accuracy.tolist(), trace=np.asarray(r.trace).tolist(),
                               size=r.timing["chunks"][0]["size"], devices=r.timing["devices"])
    print("RESULT " + json.dumps(out))
""")


@pytest.mark.slow  # two vmapped training compiles, about a minute on the 2-core VM
def test_device_map_members_split_over_two_devices():
    import numpy as np

    r = _child(MAP_CHILD)
    assert r["True"]["devices"] == 2 and r["False"]["devices"] == 1
    assert r["False"]["size"] == 3 and r["True"]["size"] == 3  # 3 members, padded to 4 only inside
    assert r["True"]["acc"] == r["False"]["acc"]
    np.testing.assert_allclose(r["True"]["trace"], r["False"]["trace"], rtol=1e-6)


EVAL_CHILD = textwrap.dedent(r"""
    import json, sys
    from cimjax import train
    from cimjax.config import apply_overrides, load_config
    from cimjax.evaluate import evaluate_run

    tmp = sys.argv[1]
    cfg = apply_overrides(load_config("configs/synthetic_smoke.py"), [
        "run.estimate_each_epoch=false", "train.epochs=1", f"run.out_dir={tmp}/run"])
    train.train_and_evaluate(cfg, log=lambda *a: None, progress=False)
    out = {}
    for shard in (False, True):
        r = evaluate_run(f"{tmp}/run", sweeps=["adc_bits=3,6", "variation_sigma=0,0.1,0.2"],
                         out_dir=f"{tmp}/ev{shard}", shard=shard, progress=False, log=lambda *a: None)
        out[str(shard)] = [(x["accuracy"], x["test_loss"]) for x in r["results"]]
    print("RESULT " + json.dumps(out))
""")


@pytest.mark.slow  # a short training and two evaluations, about a minute on the 2-core VM
def test_evaluate_settings_split_over_two_devices(tmp_path):
    import numpy as np

    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2", "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run([sys.executable, "-c", EVAL_CHILD, str(tmp_path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r = json.loads([x for x in proc.stdout.splitlines() if x.startswith("RESULT ")][-1][len("RESULT "):])
    assert len(r["True"]) == 6
    np.testing.assert_allclose(r["True"], r["False"], rtol=1e-5)
