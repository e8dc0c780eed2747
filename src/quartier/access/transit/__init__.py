"""Public transport: GTFS timetables and a RAPTOR router (room of :mod:`quartier.access`)."""
