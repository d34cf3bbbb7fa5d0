"""Work that several modules share; committing is the view's job: a request is a unit of work."""
