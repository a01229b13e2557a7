"""Studies that run many trainings and estimates and write one report: ``cimjax study paper``
(DNN+NeuroSim V2.0's device benchmark, :mod:`cimjax.study.paper`; docs/study.md)."""
