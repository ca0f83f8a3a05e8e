"""Children's schools told by morning: school safeguarding contacts, children linked to their
school, and the notice a school receives after a domestic-violence incident in the household."""
