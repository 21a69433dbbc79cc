"""The Streamlit side: the one owner of st.session_state and the address bar (state), and the page habits (ui)."""
