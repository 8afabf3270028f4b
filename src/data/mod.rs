//! Binding data files (Stan JSON, CSV) to the data declarations of a model.
