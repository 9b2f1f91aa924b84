"""The course's own scaffolding: each lesson's parameters cell and the environment check."""
