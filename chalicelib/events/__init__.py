"""Events organizers publish in Idaho and Montana: the public list, one event, calendar feeds."""
