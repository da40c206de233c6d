"""The bridge: live chat between shoppers, the assistant and human agents."""
