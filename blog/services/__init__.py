"""Work that several modules share. Committing is always the view's job: the request is the unit
of work."""
