"""Work that several modules share: the pages of posts, and finding or creating tags.

A view does the rest of its work itself; committing is always the view's job, because the
request is the unit of work.
"""
