"""One construct per concern of the Motcua stack; ``constants`` holds every name and limit."""
