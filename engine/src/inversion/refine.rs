//! Refinement of an inverted code through the synthesis network (built next).
