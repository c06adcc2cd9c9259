"""Module 08: choosing hyperparameters under a budget, and carrying them across scales.

ledger     a budget every experiment is charged to; costs from module 06's accounting
hyperband  successive halving and Hyperband (Li et al. 2018): schedules and runners
fit        power laws on log-log axes, fitted and extrapolated
scaling    scale-down strategies over module 07's sweeps: divergence, short horizon, model
           and data scaling projections
mup        μP's per-layer Adam learning rates and the coordinate check (the model's side is
           `ModelConfig(parametrization="mup")`)
"""
