"""One page's logic each: what a page computes and writes, with no Streamlit; no page's logic imports
another's (what two pages share lives in lab/model)."""
