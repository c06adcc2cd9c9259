"""Module 10: fine-tuning on a budget — memory, low rank, adapters, precision and instructions.

Nothing heavy is imported here: import what you need from its file.

    checkpointing  recompute transformer blocks in backward (torch.utils.checkpoint and a hand-written
                   autograd.Function), the O(√n) segment schedule, saved bytes measured and predicted
    low_rank       truncated SVD of a weight matrix: error and parameters against rank (Eckart–Young)
    lora           LoRA adapters on a model's Linear layers: wrap, freeze, merge and unmerge, count
    precision      fp16's range, and the loss scale of torch.amp.GradScaler on overflow
    instructions   Alpaca records as prompt + response, loss on the response only, padded batches
"""
