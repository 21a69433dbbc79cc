"""One page's logic each: what a page computes and writes, with no Streamlit."""
