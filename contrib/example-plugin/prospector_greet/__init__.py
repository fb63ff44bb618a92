"""prospector-greet: an example of a prospector-scheduler command shipped by another package."""
