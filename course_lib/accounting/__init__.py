"""Module 06: resource accounting — parameters, FLOPs, memory, MFU, time and cost of a model config.

Every count here is for the course's own `course_lib.model.TransformerLM` and is checked in the tests
against what torch does: `sum(p.numel())` of the built model, `FlopCounterMode`, and saved-tensor and
peak-memory measurements. One concept per file:

    presets   GPT-2 small/medium/large/XL as ModelConfigs
    params    parameter count by component
    flops     forward FLOPs by matmul, shares, training FLOPs (backward = 2× forward)
    memory    training memory by part (AdamW), activations per layer, a·batch + b, largest batch
    measure   measured activation bytes and peak memory (CUDA allocator or CPU profiler)
    hardware  peak FLOP/s of common GPUs and a measured matmul peak
    mfu       model FLOPs utilization and training time
    cost      the 10-605 cost estimate from measured step times
    budget    FLOP-budget planner and Chinchilla compute-optimal sizes
"""
