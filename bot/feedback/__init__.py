"""Session feedback: questionnaires from the programme, prompts, answers, results, charts and CSV."""
