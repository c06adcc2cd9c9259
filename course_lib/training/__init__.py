"""Module 05: training — loss, AdamW, schedules, clipping, checkpoints and the training loop."""

from course_lib.training.adamw import AdamW, param_groups
from course_lib.training.checkpoint import load_checkpoint, save_checkpoint
from course_lib.training.clipping import clip_grad_norm
from course_lib.training.config import TrainConfig
from course_lib.training.losses import cross_entropy, perplexity
from course_lib.training.schedules import LRSchedule, cosine_schedule
from course_lib.training.trainer import Trainer, TrainingDiverged, TrainResult, train

__all__ = [
    "AdamW",
    "LRSchedule",
    "TrainConfig",
    "TrainResult",
    "Trainer",
    "TrainingDiverged",
    "clip_grad_norm",
    "cosine_schedule",
    "cross_entropy",
    "load_checkpoint",
    "param_groups",
    "perplexity",
    "save_checkpoint",
    "train",
]
