"""Hardware estimator: pure, jittable functions of static layer shapes and circuit parameters.

Never imports Flax. So far it holds the network's layer table (:mod:`cimjax.hw.network`);
the area / latency / energy models land with the estimator issue.
"""
