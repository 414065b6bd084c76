"""One module per action. Plain functions with keyword arguments; they return a
result (a bool for transitions: did this call change anything) or raise a
forum.errors.ForumError with a stable code."""
