"""The work behind each endpoint, as keyword-only functions over the session.

Views parse input, call one of these and serialise what it returns. These functions add, change
and delete objects and flush when they need ids or constraint checks; committing is the view's
job, because the request is the unit of work.
"""
