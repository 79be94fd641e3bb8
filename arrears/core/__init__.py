"""The rules, as pure functions over plain values. Nothing in this package imports Django."""
