"""Satisfaction and service figures from the stored conversations: the dashboard and the HTML report."""
