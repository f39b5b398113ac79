from demo_project.jobs.progress import Step, Steps


def test_steps_are_reported_as_they_start_and_end_at_total_of_total():
    seen = []
    steps = Steps(seen.append, ["loading", "fitting", "saving"])
    steps.start("loading")
    steps.start("saving")  # a job may skip a step it does not need
    steps.finish()
    assert seen == [Step("loading", 0, 3), Step("saving", 2, 3), Step("done", 3, 3)]
