"""A trained ``Classifier`` at work: evaluation reports, predictions, export, a look inside."""
