"""The mail to each municipality: recipients and texts (config), composition, attachments,
and the exactly-once sending loop. No boto3 here: the loop talks to adapters it is given.
"""
