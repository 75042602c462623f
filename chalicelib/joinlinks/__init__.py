"""Personal join links: one link per member and group (``/j/<token>``) that emails and calendar
invites carry instead of the Zoom link. It opens the group's current room from shortly before a
meeting until its end, shows a waiting page otherwise, and stops the moment the member leaves."""
