"""What the feature folders' tests share: builders of organisations and members
(`builders`), talking to the bot through the sandbox (`chat`), the bot as a subprocess
(`processes`) and the operator's command line (`cli`).

A test folder imports from here and from itself, never from another feature folder
(tests/test_layout.py checks).
"""
