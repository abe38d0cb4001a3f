"""Doublons : la même ressource décrite par plusieurs sources / the same resource from several sources."""
