"""The tutorial claims about back_populates, each checked: a layer (claims/README.md)."""
