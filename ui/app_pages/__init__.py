"""The app's pages: Streamlit scripts that ui/app.py's navigation runs, layout and state only."""
