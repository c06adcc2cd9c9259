"""The instructor's tooling: headless runs, solution sync and stripping, nbgrader grading, integrity
flags, held-out grading data and PDF reports. Never released to students (they get `course_lib`)."""
